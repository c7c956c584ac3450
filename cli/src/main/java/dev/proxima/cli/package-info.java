/**
 * The {@code proxima} command behind the {@code ./proxima} launcher: {@code info},
 * {@code test}, {@code bench NAME} and {@code help}.
 */
package dev.proxima.cli;
