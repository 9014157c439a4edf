"""OpenText Cloud Messaging (SMS, email, push): every wire detail of that API lives in this package,
so a correction against the live API touches nothing else."""

from connectors.opentext.auth import TokenProvider
from connectors.opentext.client import OpenTextClient
from connectors.opentext.payloads import PushMessage
from connectors.opentext.sms import sms_encoding, sms_segments

__all__ = ["OpenTextClient", "PushMessage", "TokenProvider", "sms_encoding", "sms_segments"]
