/* Process titles for ps: "netsrvd: master", "netsrvd: worker echo". */
#ifndef NETSRVD_PROCTITLE_H
#define NETSRVD_PROCTITLE_H

extern char **proctitle_env_copy;

void proctitle_init(int argc, char **argv);
void proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
