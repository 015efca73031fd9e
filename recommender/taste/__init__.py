"""The user's taste: plays, skips, loves and bans folded into the pretrained factor space (``profile``),
what to hear next from it (``recommend``), the 2-D taste map (``map``) and the bans every list leaves
out (``bans``). Imports ``factors``, the ground floor and ``player``.
"""
