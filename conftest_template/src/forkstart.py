import os, subprocess, sys, tempfile, time
args, server, client, bound = channel.receive()
d = tempfile.mkdtemp(prefix="pytest-cloud-fork-")
for name, text in (("server.py", server), ("client.py", client)):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
log = open(os.path.join(d, "log"), "wb")
env = dict(os.environ, PYTEST_CLOUD_FORK_SERVER=d)
proc = subprocess.Popen([sys.executable, "-u", os.path.join(d, "server.py"), d] + args,
                        stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, close_fds=True)
log.close()
deadline = time.monotonic() + bound
while True:
    said = [n for n in ("ready", "fallback") if os.path.exists(os.path.join(d, n))]
    if said:
        with open(os.path.join(d, said[0])) as f:
            channel.send((said[0], d, f.read()))
        break
    if proc.poll() is not None:
        with open(os.path.join(d, "log"), "rb") as f:
            tail = f.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        channel.send(("fallback", d, "the fork server ended (exit %s)%s" % (
            proc.returncode, (": " + tail[0]) if tail else "")))
        break
    if time.monotonic() > deadline:
        proc.kill()
        channel.send(("fallback", d, "its collection took longer than %ds" % bound))
        break
    time.sleep(0.02)
