"""Gymnasium environments over the economics (registered by ``import ioa_gym``)."""
