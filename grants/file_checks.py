"""What a file is, read from its content, never from its name: the documents' and the attachments'
one check. PDF, JPEG and PNG are known by their first bytes; DOCX, XLSX and ODT are zip containers,
known by the entries inside (a zip of anything else, or a text file named .docx, is none of them).

A core helper: bytes in, a format name out (grants.models.FileFormat's values), no model or setting."""

import zipfile

# The signatures of the formats a document may have.
PDF, XLSX, DOCX, ODT, JPEG, PNG = "pdf", "xlsx", "docx", "odt", "jpeg", "png"
EXTENSIONS = {PDF: ".pdf", XLSX: ".xlsx", DOCX: ".docx", ODT: ".odt", JPEG: ".jpg", PNG: ".png"}
CONTENT_TYPES = {
    PDF: "application/pdf",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ODT: "application/vnd.oasis.opendocument.text",
    JPEG: "image/jpeg",
    PNG: "image/png",
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def detect(handle) -> str:
    """The format of the file open in `handle` (binary, seekable), or "" when it is none of the known
    ones. The position is put back at the start."""
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office(handle)
    return ""


def _office(handle) -> str:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                return ODT
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError, EOFError):
        return ""
    finally:
        handle.seek(0)
    return ""
