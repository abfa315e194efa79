"""The registry of the web app's pages: path, template, and what a person does there.

docs/architecture.md lists them ("The web app"), and a unit test keeps that table true to this one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    purpose: str


PAGES: tuple[Page, ...] = (
    Page("/", "search.html",
         "Find researchers by name in any form, topic or free text, with filters; results paged, the query in the URL."),
    Page("/researchers/{id}", "profile.html",
         "A researcher's profile (for a browser; API clients get the JSON): trust, counts, actions, topics, collaborators, works, graph."),
    Page("/papers/{arxiv_id}", "paper.html", "A paper: title, authors linked to their profiles, topics, keyphrases, abstract, version."),
    Page("/sign-up", "sign_up.html", "Make an account (posts to `POST /accounts`)."),
    Page("/sign-in", "sign_in.html", "Sign in (posts to `POST /sessions`)."),
    Page("/sign-out", "sign_out.html", "Sign out (posts to `POST /sessions/end` with the CSRF token)."),
)
