"""Static files: served by the app itself (WhiteNoise), compressed (gzip and Brotli where the
package is present) under names carrying a hash of their content, so that browsers may keep them a
year. `policydesk collectstatic` writes them and the manifest of names into `STATIC_ROOT`.

Where collectstatic has not run (development, the tests), there is no manifest and the plain
names are used, served from the apps' folders by `runserver` and the test servers; once a manifest
exists, a file missing from it is an error (a deploy that forgot collectstatic shows at once)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class DeskStaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # untyped
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest: collectstatic has not run here
            return name
        return str(super().stored_name(name))
