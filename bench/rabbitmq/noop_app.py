# The Python side of bench/rabbitmq/run.sh: a no-op task with the name ccx-worker runs. It writes
# a timestamp for the first and the last task so the rate is measured like the C++ side's.
import os
import time

from celery import Celery

app = Celery("ccx_bench", broker=os.environ["CCX_BROKER_URL"])
FIRST = 100000
LAST = FIRST + int(os.environ.get("BENCH_N", "20000")) - 1
MARK = os.environ["BENCH_MARK"]


@app.task(name="vm_kvm_build")
def vm_kvm_build(n):
    if n == FIRST or n == LAST:
        with open(f"{MARK}.{'first' if n == FIRST else 'last'}", "w") as f:
            f.write(repr(time.time()))
    return None
