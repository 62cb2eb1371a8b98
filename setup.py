"""Only the package list lives here, because pyproject.toml cannot derive it: the repository
root is the package `pricewatch` (package-dir in pyproject.toml), so every sub-package found
under it is installed as `pricewatch.<name>`. A new provider package under collectors/ is
picked up without editing any list. tests/ and bench/ are not packages and stay out, and this
file, which sits in the package's folder, is not installed as `pricewatch.setup`."""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) != ("pricewatch", "setup")]


setup(packages=["pricewatch",
                *(f"pricewatch.{name}" for name in find_packages(exclude=["tests*", "bench*"]))],
      cmdclass={"build_py": BuildPy})
