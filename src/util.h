/* Small helpers shared by every module: files, strings, clocks, fds. */
#ifndef NETSRVD_UTIL_H
#define NETSRVD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

ssize_t util_read_small(const char *path, char *buf, size_t len);
int util_read_file(const char *path, size_t max, char **data, size_t *size);
/* The same, and what fstat said of the file it read (its device and inode). */
int util_read_file_stat(const char *path, size_t max, char **data, size_t *size, struct stat *st);
/* monotonic milliseconds */
int64_t util_now_ms(void);
int64_t util_coarse_now_ms(void);
int64_t util_now_us(void);
int util_set_cloexec(int fd, int on);
int util_set_nonblock(int fd, int on);
/* "1.2.3.4:80" or "[::1]:80" */
void util_format_sockaddr(const struct sockaddr *sa, char *buf, size_t len);
int util_sockaddr_port(const struct sockaddr *sa);
/* A 16-byte address (IPv6, or v4-mapped) and port, as util_format_sockaddr does. */
void util_format_peer_key(const unsigned char addr[16], unsigned port, char *buf, size_t len);
size_t util_edit_distance(const char *a, const char *b);
/* Closes every fd above stderr except those in keep (sorted or not). */
void util_close_inherited_fds(const int *keep, size_t nkeep);

#endif
