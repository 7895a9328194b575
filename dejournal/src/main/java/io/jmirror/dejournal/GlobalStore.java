package io.jmirror.dejournal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The built-in in-memory global store: per database and global, the nodes in collation order, with IRIS SET, KILL
 * and ZKILL semantics, $ORDER, subtree queries and per-global digests for data checks.
 * <p>
 * <b>Threads.</b> Built for the dejournal: each global is written by the one worker that owns it, different globals
 * by different workers at once, while any number of other threads read (reporting queries, data checks). Readers
 * never block a worker on the common path and never see a torn value; each answer reflects the global as of some
 * instant during the call, and walks ({@link #query}) are consistent per leaf page rather than snapshots. Globals
 * advance independently, so a reader may see global A ahead of global B, as on an IRIS reporting member.
 * How this is done is in {@link GlobalTree}; why a B+tree of packed pages rather than a JDK map is measured in
 * {@code bench/results/global-store-structures.md}.
 * <p>
 * <b>Keys</b> are encoded subscripts ({@link SubscriptKey}, {@link SubscriptCodec}); the empty key is the global's
 * root node. Writes trust their keys, which come from checksummed journal records written through
 * {@link SubscriptKey}; reads that interpret keys ({@link #order}, {@link #orderChild}) validate them. Values are any
 * bytes, empty included, up to the journal's record limit.
 * <p>
 * <b>Digests.</b> Every global keeps a {@link GlobalDigest} up to date on each write, so two stores (two members)
 * compare in O(number of globals); {@link #compare} then walks only the globals whose digests differ.
 */
public final class GlobalStore implements StoreReader
{
    private static final Comparator<GlobalName> NAME_ORDER =
        Comparator.comparing(GlobalName::database).thenComparing(GlobalName::global);
    private static final byte[] EMPTY = new byte[0];
    private static final byte SET_CODE = RecordType.SET.code();

    private final StoreIndex index = new StoreIndex();

    /**
     * Receives the nodes of a {@link #query} in collation order. The buffers are valid only during the call.
     */
    @FunctionalInterface
    public interface NodeVisitor
    {
        /**
         * @return true to go on, false to stop the walk.
         */
        boolean onNode(
            DirectBuffer key, int keyOffset, int keyLength, DirectBuffer value, int valueOffset, int valueLength);
    }

    /**
     * The first node at which two stores differ in one global, as a data check reports it.
     *
     * @param database the database.
     * @param global   the global, without the caret.
     * @param node     the node in IRIS form, e.g. {@code ^Patient(42,"name")}.
     * @param left     the node's value in the first store as UTF-8 text, null if it has none there.
     * @param right    the same in the second store.
     */
    public record Difference(String database, String global, String node, String left, String right)
    {
    }

    // ---------------------------------------------------------------------------------------------------- writes

    /**
     * Applies a journal record: SET, KILL and ZKILL change the store; transaction markers and padding carry no node
     * and are ignored (values are absolute, so replay needs no transaction state). Call it from the worker that owns
     * the record's global. Allocates nothing once the global exists and its pages have room.
     *
     * @throws IllegalArgumentException if the record's type code is unknown.
     */
    public void apply(final JournalRecord record)
    {
        final RecordType type = record.type();
        if (type == null)
        {
            throw new IllegalArgumentException("unknown record type: code=" + record.typeCode() + " lsn=" +
                record.lsn());
        }
        switch (type)
        {
            case SET:
                tree(record).set(record.buffer(), record.keyOffset(), record.keyLength(),
                    record.buffer(), record.valueOffset(), record.valueLength());
                break;
            case KILL:
                tree(record).kill(record.buffer(), record.keyOffset(), record.keyLength());
                break;
            case ZKILL:
                tree(record).zkill(record.buffer(), record.keyOffset(), record.keyLength());
                break;
            default:
                break;
        }
    }

    /**
     * Applies two journal records of one writer, with the effect of {@link #apply(JournalRecord)} on {@code first}
     * and then on {@code second}. Two SETs of different globals with values kept in the page (up to 1 KiB with the
     * default page size) are done together
     * ({@link GlobalTree#setBoth}), which overlaps their memory accesses: in a store larger than the caches that is
     * most of the time a SET takes. Anything else is applied one after the other.
     *
     * @throws IllegalArgumentException if a record's type code is unknown.
     */
    public void apply(final JournalRecord first, final JournalRecord second)
    {
        if (first.typeCode() == SET_CODE && second.typeCode() == SET_CODE &&
            first.valueLength() <= GlobalTreeLeaf.MAX_INLINE_VALUE &&
            second.valueLength() <= GlobalTreeLeaf.MAX_INLINE_VALUE)
        {
            final GlobalTree firstTree = tree(first);
            final GlobalTree secondTree = tree(second);
            if (firstTree != secondTree)
            {
                GlobalTree.setBoth(
                    firstTree, first.buffer(), first.keyOffset(), first.keyLength(),
                    first.buffer(), first.valueOffset(), first.valueLength(),
                    secondTree, second.buffer(), second.keyOffset(), second.keyLength(),
                    second.buffer(), second.valueOffset(), second.valueLength());
                return;
            }
        }
        apply(first);
        apply(second);
    }

    /**
     * Sets a node's value. The key must be well formed ({@link SubscriptCodec#validate}); it is not checked here.
     *
     * @param global the global's name, with or without the caret.
     */
    public void set(
        final String database, final String global,
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        tree(database, global).set(key, keyOffset, keyLength, value, valueOffset, valueLength);
    }

    /**
     * Sets a node's value (convenience form; allocates a buffer view of the value).
     */
    public void set(final String database, final String global, final SubscriptKey key, final byte[] value)
    {
        tree(database, global).set(key.buffer(), 0, key.length(), new UnsafeBuffer(value), 0, value.length);
    }

    /**
     * Removes a node and all its descendants; the empty key removes the whole global.
     */
    public void kill(
        final String database, final String global, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final GlobalTree tree = find(database, global);
        if (tree != null)
        {
            tree.kill(key, keyOffset, keyLength);
        }
    }

    /**
     * Removes a node and all its descendants.
     */
    public void kill(final String database, final String global, final SubscriptKey key)
    {
        kill(database, global, key.buffer(), 0, key.length());
    }

    /**
     * Removes a node's value only; its descendants stay.
     */
    public void zkill(
        final String database, final String global, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final GlobalTree tree = find(database, global);
        if (tree != null)
        {
            tree.zkill(key, keyOffset, keyLength);
        }
    }

    /**
     * Removes a node's value only.
     */
    public void zkill(final String database, final String global, final SubscriptKey key)
    {
        zkill(database, global, key.buffer(), 0, key.length());
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * @return a copy of the node's value, or null if the node has none.
     */
    @Override
    public byte[] get(
        final String database, final String global, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final GlobalTree tree = find(database, global);
        return tree == null ? null : tree.get(copy(key, keyOffset, keyLength));
    }

    /**
     * IRIS {@code $ORDER}: the next ({@code direction = 1}) or previous ({@code -1}) sibling of a node at the same
     * depth that has a value or descendants, skipping the node's own descendants. The first or last subscript under a
     * node, IRIS's {@code $ORDER(^G(1,""))}, is {@link #orderChild}: an empty string is not a subscript.
     *
     * @return the sibling's encoded key (as deep as {@code key}), or null at the end.
     * @throws IllegalArgumentException for the root key, a malformed key or a direction other than 1 and -1.
     */
    public byte[] order(
        final String database, final String global, final DirectBuffer key, final int keyOffset, final int keyLength,
        final int direction)
    {
        final byte[] encoded = copy(key, keyOffset, keyLength);
        final GlobalTree tree = find(database, global);
        if (tree == null)
        {
            // The same argument checks as a lookup, so errors do not depend on whether the global exists.
            GlobalTree.orderDepth(encoded, direction);
            return null;
        }
        return tree.order(encoded, direction);
    }

    /**
     * {@link #order(String, String, DirectBuffer, int, int, int)} on a {@link SubscriptKey}.
     *
     * @return a new key for the sibling, or null at the end.
     */
    public SubscriptKey order(final String database, final String global, final SubscriptKey key, final int direction)
    {
        final byte[] sibling = order(database, global, key.buffer(), 0, key.length(), direction);
        return sibling == null ? null : new SubscriptKey().set(new UnsafeBuffer(sibling), 0, sibling.length);
    }

    /**
     * IRIS {@code $ORDER(^G(parent,""), direction)}: the first ({@code direction = 1}) or last ({@code -1}) subscript
     * under {@code parent} that has a value or descendants; the root key gives the global's first level. IRIS spells
     * the start as an empty last subscript, which it refuses as a node's subscript; a {@link SubscriptKey} refuses it
     * altogether, so that no node can be both a start and a sibling and an $ORDER loop always ends. Step on with
     * {@link #order}.
     *
     * @return the child's encoded key (one subscript deeper than {@code parent}), or null when it has none.
     * @throws IllegalArgumentException for a malformed key or a direction other than 1 and -1.
     */
    public byte[] orderChild(
        final String database, final String global, final DirectBuffer parent, final int parentOffset,
        final int parentLength, final int direction)
    {
        final byte[] encoded = copy(parent, parentOffset, parentLength);
        final GlobalTree tree = find(database, global);
        if (tree == null)
        {
            GlobalTree.orderChildDepth(encoded, direction);
            return null;
        }
        return tree.orderChild(encoded, direction);
    }

    /**
     * {@link #orderChild(String, String, DirectBuffer, int, int, int)} on a {@link SubscriptKey}.
     *
     * @return a new key for the child, or null when it has none.
     */
    public SubscriptKey orderChild(
        final String database, final String global, final SubscriptKey parent, final int direction)
    {
        final byte[] child = orderChild(database, global, parent.buffer(), 0, parent.length(), direction);
        return child == null ? null : new SubscriptKey().set(new UnsafeBuffer(child), 0, child.length);
    }

    /**
     * Visits the node {@code prefix} (if it has a value) and all its descendants in collation order; the empty
     * prefix visits the whole global. Runs on the caller's thread without holding up the global's writer: see
     * {@link GlobalTreeCursor} for what a walk sees while the global changes.
     */
    public void query(
        final String database, final String global, final DirectBuffer prefix, final int prefixOffset,
        final int prefixLength, final NodeVisitor visitor)
    {
        final GlobalTree tree = find(database, global);
        if (tree == null)
        {
            return;
        }
        final GlobalTreeCursor cursor = tree.cursor(copy(prefix, prefixOffset, prefixLength));
        while (cursor.next())
        {
            if (!visitor.onNode(cursor.keyBuffer(), cursor.keyOffset(), cursor.keyLength(),
                cursor.valueBuffer(), cursor.valueOffset(), cursor.valueLength()))
            {
                return;
            }
        }
    }

    /**
     * {@link #query(String, String, DirectBuffer, int, int, NodeVisitor)} under a {@link SubscriptKey}.
     */
    public void query(final String database, final String global, final SubscriptKey prefix, final NodeVisitor visitor)
    {
        query(database, global, prefix.buffer(), 0, prefix.length(), visitor);
    }

    /**
     * @return number of nodes with a value in the global.
     */
    public long size(final String database, final String global)
    {
        final GlobalTree tree = find(database, global);
        return tree == null ? 0 : tree.size();
    }

    /**
     * @return number of nodes with a value in the whole store.
     */
    public long size()
    {
        long size = 0;
        for (final GlobalTree tree : index.trees())
        {
            size += tree.size();
        }
        return size;
    }

    /**
     * @return the globals that have at least one node, by database then global name.
     */
    public List<GlobalName> globals()
    {
        final List<GlobalName> names = new ArrayList<>();
        for (final GlobalTree tree : index.trees())
        {
            if (tree.size() > 0)
            {
                names.add(GlobalName.of(tree.database(), tree.global()));
            }
        }
        names.sort(NAME_ORDER);
        return names;
    }

    /**
     * @return the global's digest; {@link GlobalDigest#EMPTY} if it has no nodes.
     */
    public GlobalDigest digest(final String database, final String global)
    {
        final GlobalTree tree = find(database, global);
        return tree == null ? GlobalDigest.EMPTY : tree.digest();
    }

    /**
     * @return the digest of every global that has nodes, by database then global name.
     */
    @Override
    public Map<GlobalName, GlobalDigest> digests()
    {
        final Map<GlobalName, GlobalDigest> digests = new TreeMap<>(NAME_ORDER);
        for (final GlobalTree tree : index.trees())
        {
            final GlobalDigest digest = tree.digest();
            if (digest.count() > 0)
            {
                digests.put(GlobalName.of(tree.database(), tree.global()), digest);
            }
        }
        return new LinkedHashMap<>(digests);
    }

    /**
     * The data check: for each global whose digests differ (a global with no nodes on one side counts as empty),
     * the first node in collation order at which the two stores differ. Globals are compared in name order; a
     * global that changes while it is walked may report a difference that the next check no longer sees.
     *
     * @return one difference per differing global, empty when the stores hold the same nodes.
     */
    public static List<Difference> compare(final GlobalStore a, final GlobalStore b)
    {
        final Map<GlobalName, GlobalDigest> left = a.digests();
        final Map<GlobalName, GlobalDigest> right = b.digests();
        final TreeMap<GlobalName, Boolean> names = new TreeMap<>(NAME_ORDER);
        left.keySet().forEach((name) -> names.put(name, Boolean.TRUE));
        right.keySet().forEach((name) -> names.put(name, Boolean.TRUE));
        final List<Difference> differences = new ArrayList<>();
        for (final GlobalName name : names.keySet())
        {
            if (!left.getOrDefault(name, GlobalDigest.EMPTY).equals(right.getOrDefault(name, GlobalDigest.EMPTY)))
            {
                final Difference difference = firstDifference(name, a.find(name.database(), name.global()),
                    b.find(name.database(), name.global()));
                if (difference != null)
                {
                    differences.add(difference);
                }
            }
        }
        return differences;
    }

    // ---------------------------------------------------------------------------------------------------- internals

    private static Difference firstDifference(final GlobalName name, final GlobalTree a, final GlobalTree b)
    {
        final GlobalTreeCursor left = a == null ? null : a.cursor(EMPTY);
        final GlobalTreeCursor right = b == null ? null : b.cursor(EMPTY);
        boolean hasLeft = left != null && left.next();
        boolean hasRight = right != null && right.next();
        while (hasLeft || hasRight)
        {
            final int cmp = !hasLeft ? 1 : !hasRight ? -1 : SubscriptCodec.compare(
                left.keyBuffer(), left.keyOffset(), left.keyLength(),
                right.keyBuffer(), right.keyOffset(), right.keyLength());
            if (cmp < 0)
            {
                return difference(name, left, left.valueCopy(), null);
            }
            if (cmp > 0)
            {
                return difference(name, right, null, right.valueCopy());
            }
            final byte[] leftValue = left.valueCopy();
            final byte[] rightValue = right.valueCopy();
            if (!Arrays.equals(leftValue, rightValue))
            {
                return difference(name, left, leftValue, rightValue);
            }
            hasLeft = left.next();
            hasRight = right.next();
        }
        return null;
    }

    private static Difference difference(
        final GlobalName name, final GlobalTreeCursor at, final byte[] left, final byte[] right)
    {
        final StringBuilder node = new StringBuilder().append('^').append(name.global());
        SubscriptCodec.format(at.keyBuffer(), at.keyOffset(), at.keyLength(), node);
        return new Difference(name.database(), name.global(), node.toString(), text(left), text(right));
    }

    private static String text(final byte[] value)
    {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    private GlobalTree tree(final JournalRecord record)
    {
        return index.findOrCreate(record.buffer(), record.databaseOffset(), record.databaseLength(),
            record.globalOffset(), record.globalLength());
    }

    private GlobalTree tree(final String database, final String global)
    {
        final GlobalTree tree = find(database, global);
        if (tree != null)
        {
            return tree;
        }
        final GlobalName name = GlobalName.of(database, global);
        return index.findOrCreate(name.database(), name.global());
    }

    /**
     * @return the global's tree, or null if nothing ever named it (package-private for tests).
     */
    GlobalTree find(final String database, final String global)
    {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(global, "global");
        return index.find(database, global.startsWith("^") ? global.substring(1) : global);
    }

    private static byte[] copy(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }
}
