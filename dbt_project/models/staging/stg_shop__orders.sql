-- One row per order of the shop's database: its status, total and currency as the shop recorded them, and the
-- tracker's clientId the checkout page had (null when the tracker never loaded).
select
    cast(id as {{ dbt.type_string() }}) as order_id,
    cast(user_id as {{ dbt.type_string() }}) as shop_user_id,
    cast(client_id as {{ dbt.type_string() }}) as client_id,
    upper(cast(status as {{ dbt.type_string() }})) as status,
    upper(cast(currency as {{ dbt.type_string() }})) as currency,
    cast(total as {{ dbt.type_numeric() }}) as total,
    {{ shop_utc('paid_at') }} as paid_at,
    {{ shop_utc('cancelled_at') }} as cancelled_at,
    {{ shop_utc('created_at') }} as created_at,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('order', {
    'id': dbt.type_string(), 'user_id': dbt.type_string(), 'client_id': dbt.type_string(),
    'status': dbt.type_string(), 'currency': dbt.type_string(), 'total': dbt.type_numeric(),
    'paid_at': dbt.type_timestamp(), 'cancelled_at': dbt.type_timestamp(), 'created_at': dbt.type_timestamp(),
    'updated_at': dbt.type_timestamp()
}) }} as shop_orders
