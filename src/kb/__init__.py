__version__ = "0.2.0"
# The distribution's name on a package index; the command and the import name stay `kb`.
# Never "kb": that name on PyPI belongs to an unrelated project (kb 0.1 to 0.1.8).
DISTRIBUTION = "ronbun-kb"
CONFIG_NAME = "kb.yaml"  # a project's settings, at its root (kb.config)
