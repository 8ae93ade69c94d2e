<?php
// WordPress's own costs for the newsroom benchmark (issue 13 §7), timed in-process as
// `trendwatch bench newsroom` times itself: a draft save with `wp_update_post` (which also
// stores a revision) and a publication with `wp_insert_post`, ROUNDS of each on an install
// already holding the archive's posts. Prints one JSON line of p50/p99 in milliseconds.
// Run as: php wordpress_newsroom.php ROUNDS (with HTTP_HOST set for Debian's config lookup).
$rounds = (int) ($argv[1] ?? 200);
define('WP_USE_THEMES', false);
require '/usr/share/wordpress/wp-load.php';
wp_set_current_user(1);
function pct(array $v, float $p): float {
    sort($v);
    return $v[min(count($v) - 1, (int) floor($p * count($v)))];
}
$body = str_repeat("<p>Sample text about the fictional Republic of Arvenia, its border and its budget.</p>\n", 12);
$draft = wp_insert_post(['post_title' => 'Draft under edit', 'post_content' => $body, 'post_status' => 'draft'], true);
$save = [];
$publish = [];
for ($i = 0; $i < $rounds; $i++) {
    $t = hrtime(true);
    wp_update_post(['ID' => $draft, 'post_content' => $body . "<p>Edit $i.</p>"], true);
    $save[] = (hrtime(true) - $t) / 1e6;
    $t = hrtime(true);
    wp_insert_post(['post_title' => "Published $i", 'post_content' => $body, 'post_status' => 'publish'], true);
    $publish[] = (hrtime(true) - $t) / 1e6;
}
$posts = (int) $wpdb->get_var("SELECT count(*) FROM {$wpdb->posts} WHERE post_type = 'post'");
echo json_encode([
    'posts' => $posts,
    'save_p50_ms' => pct($save, 0.5), 'save_p99_ms' => pct($save, 0.99),
    'publish_p50_ms' => pct($publish, 0.5), 'publish_p99_ms' => pct($publish, 0.99),
]), "\n";
