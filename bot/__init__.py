"""Rolecall's platform-agnostic core: knowledge, matching, answering, conversation.

Nothing here imports a chat platform; adapters turn platform events into
`Message` and render `Reply` in their own idiom.
"""

from .messages import Choice, Message, Reply

__all__ = ["Choice", "Message", "Reply"]
