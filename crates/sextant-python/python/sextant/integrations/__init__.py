"""Optional framework integrations; each module imports its framework only when imported.

- ``sextant.integrations.huggingface.SextantCallback``: a ``transformers`` ``TrainerCallback``.
"""
