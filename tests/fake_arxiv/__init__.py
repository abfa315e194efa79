"""A fake arXiv (OAI-PMH) server for tests and benchmarks, serving real recorded responses."""

from tests.fake_arxiv.server import FakeArxivServer

__all__ = ["FakeArxivServer"]
