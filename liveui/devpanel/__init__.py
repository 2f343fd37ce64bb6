"""The live dev panel: an admin-only liveui page showing what this node is doing — sessions and
sockets per user, topics and their subscribers, the last broadcasts and patches with sizes and
timings, slow clients — with a button to replay a broadcast. `recorder` keeps the recent
history; `component` is the panel itself, a live component; `page` serves it. Off unless
`dev_panel_routes(...)` is mounted. Import the public names from `liveui`.
"""
