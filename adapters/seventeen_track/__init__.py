"""17TRACK API v2 webhooks."""

from adapters.seventeen_track.webhooks import SeventeenTrack

__all__ = ["SeventeenTrack"]
