package io.jmirror.dejournal;

/**
 * The inner pages and child indexes from a {@link GlobalTree}'s root down to one leaf, so that a writer can split
 * or remove pages upwards and a reader can step to the neighbouring leaf without sibling links (which would have to
 * be kept right under concurrent optimistic reads).
 * <p>
 * Reusable: the writer keeps one, a reader makes one per query. Descents stop after {@link #MAX_DEPTH} levels, so
 * a reader following a torn pointer throws instead of looping.
 */
final class GlobalTreePath
{
    /** Far beyond any real tree: 128-way pages reach 10^18 nodes in 9 levels. */
    static final int MAX_DEPTH = 24;

    private final GlobalTreeInner[] pages = new GlobalTreeInner[MAX_DEPTH];
    private final int[] indexes = new int[MAX_DEPTH];
    private int depth;
    private Object page;

    /**
     * @return number of inner pages above the current leaf.
     */
    int depth()
    {
        return depth;
    }

    GlobalTreeInner page(final int level)
    {
        return pages[level];
    }

    int index(final int level)
    {
        return indexes[level];
    }

    /**
     * Descends to the leaf whose range holds {@code key}.
     */
    GlobalTreeLeaf descend(final Object root, final byte[] key, final int keyLength)
    {
        depth = 0;
        Object page = root;
        while (page instanceof GlobalTreeInner)
        {
            final GlobalTreeInner inner = (GlobalTreeInner)page;
            page = push(inner, inner.childIndex(key, keyLength));
        }
        return (GlobalTreeLeaf)page;
    }

    /**
     * Starts a descent taken one level at a time with {@link #down}, so that two can be interleaved.
     *
     * @return this.
     */
    GlobalTreePath start(final Object root)
    {
        depth = 0;
        page = root;
        return this;
    }

    /**
     * Goes one level down towards the leaf whose range holds {@code key}.
     *
     * @return false once at the leaf ({@link #leaf()}).
     */
    boolean down(final byte[] key, final int keyLength)
    {
        if (page instanceof GlobalTreeInner)
        {
            final GlobalTreeInner inner = (GlobalTreeInner)page;
            page = push(inner, inner.childIndex(key, keyLength));
            return true;
        }
        return false;
    }

    /**
     * @return the leaf a descent by {@link #down} reached.
     */
    GlobalTreeLeaf leaf()
    {
        return (GlobalTreeLeaf)page;
    }

    /**
     * Descends to the last leaf.
     */
    GlobalTreeLeaf descendLast(final Object root)
    {
        depth = 0;
        return downLast(root);
    }

    /**
     * Moves to the leaf after the current one.
     *
     * @return that leaf, or null at the end (the path is then unchanged).
     */
    GlobalTreeLeaf next()
    {
        for (int level = depth - 1; level >= 0; level--)
        {
            final GlobalTreeInner inner = pages[level];
            if (indexes[level] + 1 < inner.count())
            {
                depth = level;
                Object page = push(inner, indexes[level] + 1);
                while (page instanceof GlobalTreeInner)
                {
                    page = push((GlobalTreeInner)page, 0);
                }
                return (GlobalTreeLeaf)page;
            }
        }
        return null;
    }

    /**
     * Moves to the leaf before the current one.
     *
     * @return that leaf, or null at the start (the path is then unchanged).
     */
    GlobalTreeLeaf previous()
    {
        for (int level = depth - 1; level >= 0; level--)
        {
            if (indexes[level] > 0)
            {
                depth = level;
                return downLast(push(pages[level], indexes[level] - 1));
            }
        }
        return null;
    }

    private GlobalTreeLeaf downLast(final Object from)
    {
        Object page = from;
        while (page instanceof GlobalTreeInner)
        {
            final GlobalTreeInner inner = (GlobalTreeInner)page;
            page = push(inner, inner.count() - 1);
        }
        return (GlobalTreeLeaf)page;
    }

    private Object push(final GlobalTreeInner inner, final int index)
    {
        if (depth == MAX_DEPTH)
        {
            throw GlobalTree.TORN;
        }
        pages[depth] = inner;
        indexes[depth] = index;
        depth++;
        return inner.child(index);
    }
}
