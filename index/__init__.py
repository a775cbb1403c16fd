"""The write path: files → documents → chunks → embeddings → Chroma. Never imports `assistant`."""
