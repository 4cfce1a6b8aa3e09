"""The tiny example LLM (`tiny`) and the corpus it is counted from (`corpus`)."""
