"""Listens out (opt-in): Encore's own plays sent to ListenBrainz; playback never waits on the network.

Off by default: nothing is queued or sent until the user turns it on and enters a user token (Settings ▸
ListenBrainz). Then, for tracks whose artist and title are tagged, Encore sends "playing now" when a track
starts and a listen once the play qualifies. One module per job, each holding its own rules:

- ``settings``: ``ListenBrainzSettings``, whether listens go out, where to, and the sender's pace.
- ``listen``: when a play becomes a listen (half the track or 4 minutes), and what a listen says.
- ``submitter``: ``ListenBrainzSubmitter``, which queues qualifying plays and runs the sender thread.
- ``sender``: one round of that thread, and what each answer of the server does to the queue.
- ``api``: the two HTTP calls, on the standard library alone.
- ``status``: what Settings says about the listens waiting to be sent.

The queue itself is SQL, so it lives with the store (``player.store.submit``).
"""
