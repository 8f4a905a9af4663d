/* archive_dl: libarchive loaded on first need, not at start-up.  Linked
 * in, libarchive pulls libxml2, ICU and libstdc++ into every process that
 * could meet a container, about 8 ms of start-up per message in a chain
 * that runs one process per message, while most mail has no container.
 * So unpack.c reaches libarchive only through this table of function
 * pointers, filled by dlopen("libarchive.so.13") and dlsym the first time
 * a container is opened.  <archive.h> still gives the types, constants
 * and, through __typeof__, each pointer's exact type.
 *
 * When the library cannot be loaded, archive_dl() returns NULL: the
 * caller reports the container as one that could not be opened (held,
 * never passed as data).  The reason is printed once per process as a
 * warning on stderr (log.h), the one thing this library file prints: the
 * tools' callers know a container only as a flag. */
#ifndef PORTCULLIS_ARCHIVE_DL_H
#define PORTCULLIS_ARCHIVE_DL_H
#include <archive.h>
#include <archive_entry.h>

/* The soname of the libarchive whose <archive.h> we build against. */
#ifndef ARCHIVE_DL_SONAME
#define ARCHIVE_DL_SONAME "libarchive.so.13"
#endif

/* Every libarchive function lib/ uses: one line here, and it is loaded. */
#define ARCHIVE_DL_FUNCS(X) \
	X(archive_read_new) \
	X(archive_read_free) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_format_7zip) \
	X(archive_read_support_format_ar) \
	X(archive_read_support_format_cab) \
	X(archive_read_support_format_cpio) \
	X(archive_read_support_format_iso9660) \
	X(archive_read_support_format_lha) \
	X(archive_read_support_format_rar) \
	X(archive_read_support_format_rar5) \
	X(archive_read_support_format_tar) \
	X(archive_read_support_format_xar) \
	X(archive_read_support_format_zip) \
	X(archive_read_support_format_raw) \
	X(archive_read_open_memory) \
	X(archive_read_next_header) \
	X(archive_read_data) \
	X(archive_read_has_encrypted_entries) \
	X(archive_error_string) \
	X(archive_format) \
	X(archive_filter_count) \
	X(archive_filter_name) \
	X(archive_entry_filetype) \
	X(archive_entry_pathname) \
	X(archive_entry_pathname_utf8) \
	X(archive_entry_is_encrypted)

struct archive_dl {
#define ARCHIVE_DL_MEMBER(f) __typeof__(f) *f;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_MEMBER)
#undef ARCHIVE_DL_MEMBER
};

/* The table, loaded on the first call (thread-safe); NULL when
 * libarchive or one of its functions could not be loaded, on this call
 * and every later one. */
const struct archive_dl *archive_dl(void);

#endif
