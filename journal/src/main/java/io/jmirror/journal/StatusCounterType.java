package io.jmirror.journal;

/**
 * Every status counter jmirror writes: its type id, its scope (whose it is, carried in the key, see
 * {@link StatusCounterDescriptor}), its field name and what its value means. The label is
 * {@code <scope>=<name> <field>} (the primary's: {@code primary <field>}), for humans only.
 */
public enum StatusCounterType
{
    PRIMARY_ERRORS(101, Scope.PRIMARY, "errors", Unit.COUNT),
    PRIMARY_REJECTIONS(102, Scope.PRIMARY, "rejections", Unit.COUNT),
    PRIMARY_COMPLETE_LSN(103, Scope.PRIMARY, "completeLsn", Unit.LSN),
    PRIMARY_DURABLE_LSN(104, Scope.PRIMARY, "durableLsn", Unit.LSN),
    PRIMARY_EPOCH(105, Scope.PRIMARY, "epoch", Unit.NUMBER),
    /** The higher epoch that fenced the primary, 0 while it is not fenced. */
    PRIMARY_FENCED_EPOCH(106, Scope.PRIMARY, "fencedEpoch", Unit.NUMBER),
    /** 1 while commits wait for the arbiter to release a backup that is not ACTIVE. */
    PRIMARY_WAITING_FOR_BACKUP_RELEASE(107, Scope.PRIMARY, "waitingForBackupRelease", Unit.FLAG),
    /** Failures of the journal's own agent (forcing to disk), each logged ({@code Journal#agentErrors}). */
    PRIMARY_JOURNAL_ERRORS(108, Scope.PRIMARY, "journalErrors", Unit.COUNT),

    /** A {@code TransferStatus} ordinal. */
    MEMBER_TRANSFER_STATUS(201, Scope.MEMBER, "transferStatus", Unit.STATE),
    MEMBER_BYTES_RAW(202, Scope.MEMBER, "bytesRaw", Unit.BYTES),
    MEMBER_BYTES_SENT(203, Scope.MEMBER, "bytesSent", Unit.BYTES),
    MEMBER_BATCHES(204, Scope.MEMBER, "batches", Unit.COUNT),
    MEMBER_SENT_LSN(205, Scope.MEMBER, "sentLsn", Unit.LSN),
    MEMBER_DURABLE_LSN(206, Scope.MEMBER, "durableLsn", Unit.LSN),
    MEMBER_APPLIED_LSN(207, Scope.MEMBER, "appliedLsn", Unit.LSN),
    MEMBER_LAG_BYTES(208, Scope.MEMBER, "lagBytes", Unit.BYTES),
    MEMBER_LAG_MS(209, Scope.MEMBER, "lagMs", Unit.MS),
    /** Wall-clock time the member was last heard from, 0 when never. */
    MEMBER_LAST_SEEN_MS(210, Scope.MEMBER, "lastSeen", Unit.TIME_MS),
    MEMBER_RAW_RATE(211, Scope.MEMBER, "rawBytesPerSecond", Unit.BYTES_PER_SECOND),
    MEMBER_SENT_RATE(212, Scope.MEMBER, "sentBytesPerSecond", Unit.BYTES_PER_SECOND),
    /** The code of the last REJECT sent to the member, 0 when none. */
    MEMBER_LAST_REJECT(213, Scope.MEMBER, "lastReject", Unit.STATE),
    /** Link failures of the member's sessions. */
    MEMBER_ERRORS(214, Scope.MEMBER, "errors", Unit.COUNT),
    /** Why the member is in its status: the last REJECT sent to it and its message, its last link error, or why its
     * last session ended ({@link StatusText}). */
    MEMBER_LAST_REASON(215, Scope.MEMBER, "lastReason", Unit.TEXT),
    /** The member's role on the allow-list, a {@code MemberRole} code. */
    MEMBER_ROLE(216, Scope.MEMBER, "role", Unit.STATE),

    /** A {@code Receiver.State} ordinal. */
    RECEIVER_LINK_STATE(301, Scope.RECEIVER, "linkState", Unit.STATE),
    RECEIVER_RECEIVED_LSN(302, Scope.RECEIVER, "receivedLsn", Unit.LSN),
    RECEIVER_DURABLE_LSN(303, Scope.RECEIVER, "durableLsn", Unit.LSN),
    RECEIVER_BYTES_RECEIVED(304, Scope.RECEIVER, "bytesReceived", Unit.BYTES),
    RECEIVER_BAD_BATCHES(305, Scope.RECEIVER, "badBatches", Unit.COUNT),
    RECEIVER_CONNECTS(306, Scope.RECEIVER, "connects", Unit.COUNT),
    RECEIVER_KNOWN_EPOCH(307, Scope.RECEIVER, "knownEpoch", Unit.NUMBER),
    /** Why the link last went down: the REJECT the primary sent, or the error ({@link StatusText}); empty while
     * streaming. */
    RECEIVER_LAST_ERROR(308, Scope.RECEIVER, "lastError", Unit.TEXT),
    /** Failures of the receiver's agent outside a link (a link failure disconnects and redials instead). */
    RECEIVER_ERRORS(309, Scope.RECEIVER, "errors", Unit.COUNT),
    /** Failures of the member journal's own agent (forcing to disk), each logged ({@code Journal#agentErrors}). */
    RECEIVER_JOURNAL_ERRORS(310, Scope.RECEIVER, "journalErrors", Unit.COUNT),

    /** A {@code DejournalState} ordinal. */
    DEJOURNAL_STATE(401, Scope.DEJOURNAL, "state", Unit.STATE),
    DEJOURNAL_APPLIED_LSN(402, Scope.DEJOURNAL, "appliedLsn", Unit.LSN),
    DEJOURNAL_JOURNAL_END_LSN(403, Scope.DEJOURNAL, "journalEndLsn", Unit.LSN),
    DEJOURNAL_BYTES_BEHIND(404, Scope.DEJOURNAL, "bytesBehind", Unit.BYTES),
    DEJOURNAL_MS_BEHIND(405, Scope.DEJOURNAL, "msBehind", Unit.MS),
    DEJOURNAL_RECORDS_APPLIED(406, Scope.DEJOURNAL, "recordsApplied", Unit.COUNT),
    DEJOURNAL_APPLY_RATE(407, Scope.DEJOURNAL, "applyRatePerSecond", Unit.PER_SECOND),
    DEJOURNAL_OPEN_TRANSACTIONS(408, Scope.DEJOURNAL, "openTransactions", Unit.COUNT),
    /** Errors of the member's wiring (receiver to dejournaler). */
    DEJOURNAL_WIRING_ERRORS(409, Scope.DEJOURNAL, "wiringErrors", Unit.COUNT),
    /** Why dejournaling failed, or the wiring's last error ({@link StatusText}). */
    DEJOURNAL_LAST_ERROR(410, Scope.DEJOURNAL, "lastError", Unit.TEXT),
    /**
     * Times a member found its store ahead of its journal (journal damage cut records the store had applied) and
     * waited for the journal to get them again from the primary before starting its dejournaler.
     */
    DEJOURNAL_STORE_AHEAD_WAITS(411, Scope.DEJOURNAL, "storeAheadWaits", Unit.COUNT),
    /** 1 when the member's read views hide open transactions (its isolated-readers option), else 0. */
    DEJOURNAL_ISOLATED_READERS(412, Scope.DEJOURNAL, "isolatedReaders", Unit.FLAG),

    WORKER_RECORDS(501, Scope.WORKER, "records", Unit.COUNT),
    WORKER_BUSY_MS(502, Scope.WORKER, "busyMs", Unit.MS),
    WORKER_QUEUE_DEPTH(503, Scope.WORKER, "queueDepth", Unit.COUNT),

    /** A failover node's role, a {@code MirrorNode.Role} ordinal. */
    NODE_ROLE(601, Scope.NODE, "role", Unit.STATE),
    /** The epoch the node is primary in, or follows. */
    NODE_EPOCH(602, Scope.NODE, "epoch", Unit.NUMBER),
    NODE_TAKEOVERS(603, Scope.NODE, "takeovers", Unit.COUNT),
    /** How long the last takeover took, -1 before the first. */
    NODE_LAST_TAKEOVER_MS(604, Scope.NODE, "lastTakeoverMs", Unit.MS),
    /** Times the operator forced this node on as primary without its backup. */
    NODE_FORCES(605, Scope.NODE, "forces", Unit.COUNT),
    /** Failed duty cycles of the node's control (each retried on the next beat). */
    NODE_ERRORS(606, Scope.NODE, "errors", Unit.COUNT),
    /** Why the node is in its role, or its last failure ({@link StatusText}). */
    NODE_REASON(607, Scope.NODE, "reason", Unit.TEXT),
    /** The file holding journal bytes cut off at a rejoin ({@link StatusText}); empty when none. */
    NODE_DIVERGENT_BYTES(608, Scope.NODE, "divergentBytes", Unit.TEXT),

    HARNESS_WORKLOAD_RECORDS(901, Scope.HARNESS, "records", Unit.COUNT),
    HARNESS_WORKLOAD_COMMIT_TIMEOUTS(902, Scope.HARNESS, "commitTimeouts", Unit.COUNT),
    HARNESS_ORDER_VIOLATIONS(903, Scope.HARNESS, "orderViolations", Unit.COUNT);

    /**
     * Whose a counter is.
     */
    public enum Scope
    {
        /** The primary's own counters; the key's name is empty. */
        PRIMARY("primary"),
        /** The primary's view of one configured member (its sessions, one after another). */
        MEMBER("member"),
        /** A member's receiving side. */
        RECEIVER("receiver"),
        /** A member's dejournaler. */
        DEJOURNAL("dejournal"),
        /** One dejournal worker of a member; the key carries the worker index. */
        WORKER("worker"),
        /** A failover node (primary or backup as its role says). */
        NODE("node"),
        /** The test harness. */
        HARNESS("harness");

        private final String word;

        Scope(final String word)
        {
            this.word = word;
        }

        public String word()
        {
            return word;
        }
    }

    /**
     * What a value means, so a reader can show it.
     */
    public enum Unit
    {
        COUNT, NUMBER, LSN, BYTES, MS, TIME_MS, BYTES_PER_SECOND, PER_SECOND, FLAG,
        /** An enum ordinal or code, decoded by the reader that knows the type. */
        STATE,
        /** A line of text in the label; the value is its sequence ({@link StatusText}). */
        TEXT
    }

    private static final StatusCounterType[] BY_TYPE_ID = new StatusCounterType[1000];

    static
    {
        for (final StatusCounterType type : values())
        {
            if (null != BY_TYPE_ID[type.typeId])
            {
                throw new IllegalStateException("type id used twice: " + type.typeId);
            }
            BY_TYPE_ID[type.typeId] = type;
        }
    }

    private final int typeId;
    private final Scope scope;
    private final String field;
    private final Unit unit;

    StatusCounterType(final int typeId, final Scope scope, final String field, final Unit unit)
    {
        this.typeId = typeId;
        this.scope = scope;
        this.field = field;
        this.unit = unit;
    }

    /**
     * @param typeId a counter's type id.
     * @return its type, or null for a type id this version does not know.
     */
    public static StatusCounterType of(final int typeId)
    {
        return typeId >= 0 && typeId < BY_TYPE_ID.length ? BY_TYPE_ID[typeId] : null;
    }

    public int typeId()
    {
        return typeId;
    }

    public Scope scope()
    {
        return scope;
    }

    public String field()
    {
        return field;
    }

    public Unit unit()
    {
        return unit;
    }

    /**
     * @return the human label of this counter for {@code name} (and {@code workerIndex} for a worker's).
     */
    public String label(final String name, final int workerIndex)
    {
        switch (scope)
        {
            case PRIMARY:
                return "primary " + field;
            case WORKER:
                return "worker=" + name + "/" + workerIndex + " " + field;
            default:
                return scope.word() + "=" + name + " " + field;
        }
    }
}
