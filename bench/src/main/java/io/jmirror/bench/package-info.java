/**
 * JMH benchmarks for jmirror.
 */
package io.jmirror.bench;
