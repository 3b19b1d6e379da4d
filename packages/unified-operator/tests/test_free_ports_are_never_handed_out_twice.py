"""`testing.free_port` never hands the same port to two callers of one process, even on threads at once:
the install matrix starts twenty operators in parallel, and two were given the same health port before
either had bound it ("address already in use", a failed CI run)."""

from concurrent.futures import ThreadPoolExecutor

from training_operator.unified.testing import free_port


def test_five_hundred_ports_from_eight_threads_are_all_different():
    with ThreadPoolExecutor(max_workers=8) as pool:
        ports = list(pool.map(lambda _: free_port(), range(500)))
    assert len(set(ports)) == len(ports)  # 500 random picks of 12,768 ports would repeat one almost surely
    assert all(20000 <= port < 32768 for port in ports)
