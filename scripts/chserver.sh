# shellcheck shell=bash
# Sourced by clickhouse.sh and chcluster.sh: the parts of a private clickhouse-server's
# configuration that every server of the project shares.

# server_paths_xml DIR prints the config.xml lines that keep all of a server's files in DIR, with
# the users file beside config.xml and UTC as the server's time zone.
server_paths_xml() {
  cat <<XML
  <path>$1/data/</path>
  <tmp_path>$1/tmp/</tmp_path>
  <format_schema_path>$1/format_schemas/</format_schema_path>
  <user_files_path>$1/user_files/</user_files_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
XML
}

# local_user_xml NAME PROFILE prints the users.xml entry of user NAME, without a password, allowed
# in from the loopback addresses only, with that settings profile and no quota.
local_user_xml() {
  cat <<XML
    <$1>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>$2</profile>
      <quota>default</quota>
    </$1>
XML
}

# profiles_xml MAX_MEMORY [SETTINGS] prints the settings profiles default and readonly of a
# users.xml (the lines inside <profiles>): default allows MAX_MEMORY bytes per query, balances load
# at random and adds the SETTINGS lines; both allow LowCardinality columns, which 18.16 still calls
# experimental.
profiles_xml() {
  cat <<XML
    <default>
      <max_memory_usage>$1</max_memory_usage>
      <load_balancing>random</load_balancing>
${2:+$2
}      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
    <readonly><readonly>2</readonly><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></readonly>
XML
}

# no_quota_xml prints the quotas element of a users.xml whose default quota limits nothing.
no_quota_xml() {
  echo '  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>'
}
