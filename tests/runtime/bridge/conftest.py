from tests.interop.conftest import charon_factory  # noqa: F401 - shared fixture
