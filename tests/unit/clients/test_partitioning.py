"""partitioning: a block's parts land on the partition of the block's key, and every other key
where Kafka's default partitioner puts it."""

from kafka.partitioner.default import DefaultPartitioner

from clients.partitioning import compound_key, partition_for, prefix_partitioner

PARTITIONS = list(range(12))


def test_plain_keys_land_where_kafkas_default_partitioner_puts_them():
    default = DefaultPartitioner()
    for key in (b"wang_j", b"2501.00001", b"r-0123456789abcdef", b""):
        assert prefix_partitioner(key, PARTITIONS, PARTITIONS) == default(key, PARTITIONS, PARTITIONS)


def test_every_part_of_a_block_lands_on_the_blocks_partition():
    spread = set()
    for block in (b"wang_j", b"zhang_y", b"smith_a", b"li_x"):
        home = prefix_partitioner(block, PARTITIONS, PARTITIONS)
        spread.add(home)
        for part in ("#0", "#1", "r-0123456789abcdef", "r-fedcba9876543210"):
            assert prefix_partitioner(compound_key(block, part), PARTITIONS, PARTITIONS) == home
    assert len(spread) > 1, "the test's blocks are not all on one partition"


def test_partition_for_counts_partitions_like_the_producer():
    key = compound_key("wang_j", "#3")
    assert partition_for(key, 12) == prefix_partitioner(key, PARTITIONS, PARTITIONS)
