"""The liveui demo: a small shop dashboard with live badges, notifications and a chat room."""
