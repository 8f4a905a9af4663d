/* archive_dl: libarchive through dlopen on first need (see archive_dl.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "archive_dl.h"
#include "log.h"

static struct archive_dl table;
static const struct archive_dl *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *h;
	const char *e;

	/* RTLD_LOCAL: libarchive's symbols stay out of the global scope;
	 * RTLD_NOW: a missing symbol fails here, not in the middle of a
	 * stranger's archive.  Never closed: the process is short-lived. */
	if ((h = dlopen(ARCHIVE_DL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		log_warn(0, "unable to load libarchive (%s): mail with a "
		    "container waits (tempfail)", e ? e : ARCHIVE_DL_SONAME);
		return;
	}
	/* dlsym's void * to a function pointer: POSIX makes it valid */
#define ARCHIVE_DL_SYM(f) \
	if ((table.f = (__typeof__(table.f))dlsym(h, #f)) == NULL) { \
		e = dlerror(); \
		log_warn(0, "unable to load libarchive (%s): mail with a " \
		    "container waits (tempfail)", e ? e : #f); \
		return; \
	}
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_SYM)
#undef ARCHIVE_DL_SYM
	loaded = &table;
}

const struct archive_dl *
archive_dl(void)
{
	pthread_once(&once, load);
	return loaded;
}
