<?php
// Fills the WordPress that scripts/make_wxr_fixture installed with a small fictional archive
// (sample data about Arvenia, a country that does not exist) and prints its WXR export.
// Polylang's data is written as Polylang writes it (its `language` and `post_translations`
// taxonomies), without the plugin, so that the export carries translation links.
$_SERVER["HTTP_HOST"] = getenv("HTTP_HOST");
require "/usr/share/wordpress/wp-load.php";
require_once ABSPATH . "wp-admin/includes/export.php";
require_once ABSPATH . "wp-admin/includes/taxonomy.php";
require_once ABSPATH . "wp-admin/includes/user.php";
register_taxonomy("language", "post", ["public" => false]);
register_taxonomy("post_translations", "post", ["public" => false]);

// The starter content goes; the site gets a public address and date-based permalinks, as a
// monitor's WordPress has (`/2017/08/07/slug/`).
foreach ([1, 2, 3] as $starter) {
    wp_delete_post($starter, true);
}
update_option("siteurl", "https://wxr.example");
update_option("home", "https://wxr.example");
update_option("blogname", "Arvenia Monitor (sample data)");
global $wp_rewrite;
$wp_rewrite->set_permalink_structure("/%year%/%monthnum%/%day%/%postname%/");
$mira = wp_insert_user(["user_login" => "mira", "user_pass" => wp_generate_password(),
    "user_email" => "mira@arvenia.example", "display_name" => "Mira Kovan", "role" => "author"]);
$tomas = wp_insert_user(["user_login" => "tomas", "user_pass" => wp_generate_password(),
    "user_email" => "tomas@arvenia.example", "display_name" => "Tomas Lind", "role" => "author"]);
$cat = fn($name) => wp_create_category($name);
$security = $cat("Security");
$west = $cat("Relations with the West");
$culture = $cat("Culture"); // not a Trendwatch topic: reported as unmapped
foreach (["en", "ru"] as $l) {
    wp_insert_term($l, "language", ["slug" => $l]);
}

function post($fields, $lang, $group = null) {
    $id = wp_insert_post(array_merge(["post_status" => "publish", "post_type" => "post"], $fields), true);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    wp_set_object_terms($id, $lang, "language");
    if ($group) {
        wp_set_object_terms($id, $group, "post_translations");
    }
    return $id;
}

$photo = wp_insert_attachment([
    "post_title" => "Checkpoint at Velna",
    "post_excerpt" => "Arvenia Press Agency (sample)",
    "post_content" => "A border checkpoint at dawn",
    "post_mime_type" => "image/jpeg",
    "guid" => "https://wxr.example/wp-content/uploads/2017/08/velna.jpg",
    "post_status" => "inherit",
], false, 0);
update_post_meta($photo, "_wp_attached_file", "2017/08/velna.jpg");
update_post_meta($photo, "_wp_attachment_image_alt", "A border checkpoint at dawn");

$a = post([
    "post_title" => "Border talks with Velna resume after a year",
    "post_name" => "border-talks-resume",
    "post_date" => "2017-08-07 10:21:00",
    "post_author" => $tomas,
    "post_excerpt" => "Negotiators met for the first time since the checkpoint dispute.",
    "post_content" => "<p>Negotiators from Arvenia and Velna met in Dorn on Monday.</p>\n<p>Both sides agreed to reopen <strong>two checkpoints</strong> by the autumn.</p><script>alert('x')</script>",
    "post_category" => [$security],
    "tags_input" => ["borders", "Velna"],
], "en", "pll_5f1a2b3c4d5e6");
set_post_thumbnail($a, $photo);
post([
    "post_title" => "Переговоры с Вельной возобновились",
    "post_name" => "peregovory-s-velnoj",
    "post_date" => "2017-08-07 11:05:00",
    "post_author" => $mira,
    "post_excerpt" => "Переговорщики встретились впервые после спора о КПП.",
    "post_content" => "<p>Делегации Арвении и Вельны встретились в Дорне в понедельник.</p>",
    "post_category" => [$security],
    "tags_input" => ["границы"],
], "ru", "pll_5f1a2b3c4d5e6");
post([
    "post_title" => "Trade mission to the Northern Union postponed",
    "post_name" => "trade-mission-postponed",
    "post_date" => "2017-08-14 09:00:00",
    "post_author" => $mira,
    "post_excerpt" => "The visit was moved to October.",
    "post_content" => "<p>The ministry moved the trade mission to October, citing the budget review.</p>",
    "post_category" => [$west],
    "tags_input" => ["trade"],
], "en");
post([
    "post_title" => "Festival season opens in Dorn",
    "post_name" => "festival-season-opens",
    "post_date" => "2017-08-15 18:30:00",
    "post_author" => $tomas,
    "post_content" => "<p>The summer festival opened with a concert in the old square.</p>",
    "post_category" => [$culture],
], "en");
post([
    "post_title" => "Draft: the week in security",
    "post_name" => "draft-week-security",
    "post_status" => "draft",
    "post_date" => "2017-08-21 08:00:00",
    "post_author" => $tomas,
    "post_excerpt" => "Not finished.",
    "post_content" => "<p>To be written.</p>",
    "post_category" => [$security],
], "en");

export_wp(["content" => "all"]);
