"""The read path: question → retrieval → cited answer, and the surfaces that show it."""
