-- One row per customer account of the shop's database; cognito_sub is the tracker's userId.
select
    cast(id as {{ dbt.type_string() }}) as shop_user_id,
    cast(cognito_sub as {{ dbt.type_string() }}) as cognito_sub,
    {{ shop_utc('created_at') }} as created_at,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('user', {
    'id': dbt.type_string(), 'cognito_sub': dbt.type_string(), 'created_at': dbt.type_timestamp(),
    'updated_at': dbt.type_timestamp()
}) }} as shop_users
