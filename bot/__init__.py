"""Rolecall's platform-agnostic core: knowledge, matching, answering, conversation.

Nothing here imports a chat platform or a front end; adapters turn platform
events into `messages.Message` and lay out the typed parts of `messages.Reply`
(see `parts`) in their own idiom. The entry point is `conversation.Conversation`.
"""
