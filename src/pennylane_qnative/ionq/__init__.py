"""The IonQ wire layer: HTTP client, request/response models and pricing.

This package knows nothing of PennyLane and imports none of it.
"""
