"""gunicorn's settings for `make serve` and production; each can be overridden on the command line
or with GUNICORN_CMD_ARGS. See README.md, "Production"."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: our views are short database reads; slow clients belong behind a proxy (nginx,
# a load balancer) that buffers them.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Restart each worker now and then, staggered, so that no slow growth of memory accumulates.
max_requests = 10_000
max_requests_jitter = 1_000
timeout = 30
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
