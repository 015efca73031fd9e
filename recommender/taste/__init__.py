"""The user's taste: plays, skips, loves and bans folded into the pretrained factor space (``profile``),
what to hear next from it (``recommend``) and the 2-D taste map (``map``). Imports ``factors``, the ground
floor and ``player``.
"""
