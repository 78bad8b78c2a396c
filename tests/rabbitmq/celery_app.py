# A Python Celery app for the interop tests: the same task name ccx-worker runs, as a Python task.
#   /usr/bin/python3 celery_app.py send NAME ID [QUEUE]     publish like any Celery client
#   /usr/bin/python3 -m celery -A celery_app worker -Q QUEUE  run vm_kvm_build(n) in Python
# Environment: CCX_BROKER_URL (amqp://...), TASK_LOG (file each received argument is appended to).
import os
import sys

from celery import Celery

app = Celery("ccx_interop", broker=os.environ["CCX_BROKER_URL"])
app.conf.broker_connection_retry_on_startup = True


@app.task(name="vm_kvm_build")
def vm_kvm_build(resource_id):
    with open(os.environ["TASK_LOG"], "a") as f:
        f.write(f"vm_kvm_build {resource_id!r}\n")
    return resource_id


if __name__ == "__main__" and sys.argv[1] == "send":
    queue = sys.argv[4] if len(sys.argv) > 4 else "celery"
    result = app.send_task(sys.argv[2], args=[int(sys.argv[3])], queue=queue)
    print(result.id)
