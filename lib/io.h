/* io: whole reads and writes on file descriptors, retrying short counts
 * and EINTR, so that callers see only success or a real error. */
#ifndef PORTCULLIS_IO_H
#define PORTCULLIS_IO_H
#include <stddef.h>
#include <sys/types.h>

int     io_write_all(int fd, const void *, size_t);
ssize_t io_read_some(int fd, void *, size_t);

#endif
