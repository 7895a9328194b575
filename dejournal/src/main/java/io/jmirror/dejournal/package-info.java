/**
 * jmirror dejournal module. See DESIGN.md for what it owns; its implementation lands with its own issue.
 */
package io.jmirror.dejournal;
