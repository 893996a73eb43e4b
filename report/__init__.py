"""The HTML report: report.render.render_archive(archive_dir) -> bytes of one self-contained page."""
