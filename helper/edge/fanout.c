/* fanout: bounded thread pool (see fanout.h). */
#include "fanout.h"

#include <pthread.h>
#include <stdlib.h>

struct pool {
	pthread_mutex_t lock;
	size_t next;
	size_t n;
	fanout_fn fn;
	void *arg;
};

static void *worker(void *p)
{
	struct pool *pool = p;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pool->lock);
		i = pool->next;
		if (i < pool->n) {
			pool->next++;
		}
		pthread_mutex_unlock(&pool->lock);
		if (i >= pool->n) {
			return NULL;
		}
		pool->fn(i, pool->arg);
	}
}

size_t fanout_run(size_t n, size_t max_workers, fanout_fn fn, void *arg)
{
	struct pool pool;
	pthread_t *threads;
	pthread_attr_t attr;
	size_t want = (max_workers == 0 || max_workers > n) ? n : max_workers;
	size_t started = 0;
	size_t i;

	if (n == 0) {
		return 0;
	}
	pthread_mutex_init(&pool.lock, NULL);
	pool.next = 0;
	pool.n = n;
	pool.fn = fn;
	pool.arg = arg;
	threads = calloc(want, sizeof(*threads));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	for (i = 0; threads != NULL && i < want; i++) {
		if (pthread_create(&threads[i], &attr, worker, &pool) != 0) {
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0) {
		worker(&pool);
	}
	for (i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
	}
	free(threads);
	pthread_mutex_destroy(&pool.lock);
	return started ? started : 1;
}
