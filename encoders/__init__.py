"""Sentence encoders: the interface the pipeline needs (`base`), the transformer and the fast
static model that implement it, and loading the configured one (`loading`)."""
