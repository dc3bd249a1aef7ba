"""The version of the installed distribution, read from its metadata."""
from importlib import metadata

__all__ = ["__version__"]

try:  # the distribution is `service-blueprint` (`blueprint` on PyPI is another project); the import is `blueprint`
    __version__ = metadata.version("service-blueprint")
except metadata.PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0.1.0"
