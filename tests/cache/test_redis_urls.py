"""Which Redis a URL names: one server, a Cluster or a Sentinel service."""

from __future__ import annotations

import pytest

from cache.redis_clients import parse_redis_url, single_node_url


def test_a_plain_url_is_one_server_unless_the_cluster_flag_says_otherwise():
    assert parse_redis_url("redis://cache:6379/2").mode == "single"
    clustered = parse_redis_url("redis://cache:7000/0", cluster=True)
    assert (clustered.mode, clustered.nodes) == ("cluster", [("cache", 7000)])


def test_a_cluster_url_lists_its_startup_nodes_and_credentials():
    address = parse_redis_url("rediss+cluster://app:p%40ss@n1:7000,n2:7001")

    assert address.mode == "cluster"
    assert address.nodes == [("n1", 7000), ("n2", 7001)]
    assert (address.username, address.password, address.tls) == ("app", "p@ss", True)


def test_a_sentinel_url_names_its_sentinels_service_and_database():
    address = parse_redis_url("redis+sentinel://:pw@s1:26379,s2:26380/mymaster/3")

    assert address.mode == "sentinel"
    assert address.nodes == [("s1", 26379), ("s2", 26380)]
    assert (address.service_name, address.db, address.password) == ("mymaster", 3, "pw")


def test_a_sentinel_url_without_a_service_is_refused_without_showing_the_password():
    with pytest.raises(ValueError, match="service") as refused:
        parse_redis_url("redis+sentinel://:secret-pw@s1:26379")
    assert "secret-pw" not in str(refused.value)


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="not a Redis URL"):
        parse_redis_url("http://cache:6379")


def test_code_that_needs_one_server_gets_a_clusters_first_node():
    assert single_node_url("redis+cluster://u:pw@n1:7000,n2:7001") == "redis://u:pw@n1:7000/0"
    assert single_node_url("redis://n1:7000/0", cluster=True) == "redis://n1:7000/0"
    assert single_node_url("redis://cache:6379/4") == "redis://cache:6379/4"
