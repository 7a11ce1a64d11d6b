"""Schemathesis hooks for Switchboard's contract fuzzing (loaded via SCHEMATHESIS_HOOKS)."""
import schemathesis

# Recordings are opaque bytes to the API: send generated binary bodies as they are.
schemathesis.serializer.alias(["audio/wav", "audio/mpeg", "audio/ogg"], "application/octet-stream")
