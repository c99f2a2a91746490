/* The master's words to its workers, apart from the statistics: a shared page the master writes and workers only read. */
#include "autoconfig.h"

#include <stdlib.h>

#include "control.h"
#include "log.h"

struct control_block *
control_create(void)
{
	struct control_block *cb = calloc(1, sizeof(*cb));

	if (cb == NULL) {
		log_errorx("out of memory for the control page");
		return NULL;
	}
	if (shm_create(&cb->shm, "netsrvd-control", sizeof(struct control)) == -1) {
		free(cb);
		return NULL;	/* logged by shm_create */
	}
	shm_close_fd(&cb->shm);	/* no worker gets a page of it to write */
	cb->words = cb->shm.base;
	return cb;
}

void
control_destroy(struct control_block *cb)
{
	if (cb == NULL)
		return;
	shm_destroy(&cb->shm);
	free(cb);
}

int
control_confine(struct control_block *cb)
{
	return shm_confine(&cb->shm, 0, 0);
}

void
control_set_generation(struct control_block *cb, unsigned id)
{
	atomic_store(&cb->words->generation, id);
}

void
control_set_stopping(struct control_block *cb)
{
	atomic_store(&cb->words->stopping, 1);
}

_Atomic int *
control_handed_over(struct control_block *cb)
{
	return &cb->words->sockets_handed_over;
}
