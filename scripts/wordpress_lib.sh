# Shared by the benchmarks that measure WordPress beside Trendwatch (scripts/bench_wordpress_anchor,
# scripts/bench_newsroom): a private MariaDB and Debian's WordPress holding the same
# generated articles as published posts. Source it, then call wp_mariadb, wp_config,
# wp_install (needs Apache, see bench_wordpress_anchor) or wp_install_cli, and wp_load_posts.
# Needs root and Debian's wordpress and mariadb-server (and php-cli for wp_install_cli).
# Expects WORK (a scratch folder) and, for wp_load_posts, a Trendwatch data folder.

# Starts MariaDB on a socket in $WORK/mysql and creates the wordpress database and user.
wp_mariadb() {
  mkdir -p "$WORK/mysql" && chown mysql "$WORK/mysql"
  mariadb-install-db --user=mysql --datadir="$WORK/mysql" --skip-test-db >/dev/null 2>&1
  /usr/sbin/mariadbd --user=mysql --datadir="$WORK/mysql" --socket="$WORK/mysql/mysql.sock" \
    --skip-networking --pid-file="$WORK/mysql/mysql.pid" --log-error="$WORK/mysql/mysql.log" &
  for _ in $(seq 100); do [ -S "$WORK/mysql/mysql.sock" ] && break; sleep 0.2; done
  SQL=(mariadb --socket="$WORK/mysql/mysql.sock" -uroot)
  "${SQL[@]}" -e "CREATE DATABASE wordpress; CREATE USER wordpress@localhost IDENTIFIED BY 'bench';
    GRANT ALL ON wordpress.* TO wordpress@localhost;"
}

# Stops the MariaDB wp_mariadb started.
wp_mariadb_stop() {
  [ -f "$WORK/mysql/mysql.pid" ] && kill "$(cat "$WORK/mysql/mysql.pid")" 2>/dev/null || true
}

# Debian's WordPress reads its settings from /etc/wordpress/config-<host>.php.
wp_config() {
  local host=$1
  cat >"/etc/wordpress/config-$host.php" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', 'bench');
define('DB_HOST', 'localhost:$WORK/mysql/mysql.sock');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
PHP
}

# Installs WordPress from the command line (no web server), as host $1.
wp_install_cli() {
  HTTP_HOST=$1 php -r '
    define("WP_INSTALLING", true);
    $_SERVER["HTTP_HOST"] = getenv("HTTP_HOST");
    require "/usr/share/wordpress/wp-load.php";
    require_once ABSPATH . "wp-admin/includes/upgrade.php";
    wp_install("Trendwatch anchor", "bench", "bench@example.invalid", false, "", "bench-anchor-password");
  ' >/dev/null
}

# Loads the English articles of the Trendwatch database $1 as published posts.
wp_load_posts() {
  python3 - "$1" "$WORK/posts.sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda s: "'" + (s or "").replace("\\", "\\\\").replace("'", "\\'") + "'"
with open(sys.argv[2], "w") as out:
    rows = db.execute("SELECT id, title, lead, body_html, published_at FROM articles WHERE lang = 'en'").fetchall()
    for start in range(0, len(rows), 500):
        values = ",".join(
            f"(1,{q(d)},{q(d)},{q(html)},{q(t)},{q(lead)},'publish','open','open',{q('a' + str(i))},'',''," 
            f"{q(d)},{q(d)},'',0,'','post','',0)"
            for i, t, lead, html, d in rows[start:start + 500])
        out.write("INSERT INTO wp_posts (post_author,post_date,post_date_gmt,post_content,post_title,"
                  "post_excerpt,post_status,comment_status,ping_status,post_name,to_ping,pinged,"
                  "post_modified,post_modified_gmt,post_content_filtered,post_parent,guid,post_type,"
                  "post_mime_type,comment_count) VALUES " + values + ";\n")
PY
  "${SQL[@]}" wordpress <"$WORK/posts.sql"
  "${SQL[@]}" wordpress -e "DELETE FROM wp_posts WHERE post_title = 'Hello world!'"
  echo "posts: $("${SQL[@]}" -N wordpress -e "SELECT count(*) FROM wp_posts WHERE post_type = 'post' AND post_status = 'publish'")"
}
