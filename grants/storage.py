"""Storage for files only their owner may download."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage without URLs: its files are served only by views that check who asks
    (grants.exports.views), never by the web server from MEDIA_URL."""

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; serve them through a checked view.")
