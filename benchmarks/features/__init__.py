"""Encoder features: the text and speech encoders, the content-addressed cache, and the store that ties them."""
