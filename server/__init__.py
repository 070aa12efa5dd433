"""Lianhu 联户 server: storage, sync API, device sessions and the PWA host."""
